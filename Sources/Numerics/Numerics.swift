// Deterministic scalar math lives here.
