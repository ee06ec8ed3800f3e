import COpenBLAS
import Numerics
