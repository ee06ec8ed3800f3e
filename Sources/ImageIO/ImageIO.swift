import CPNG
import CZlib
