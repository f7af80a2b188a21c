"""The analysis layer: numbers and tables only (no matplotlib).

Shapley attribution over the channels, Sobol indices, stylized facts, validation against real
data, the experiments' summary tables and the account calculator.
"""
