"""Mesa agents of the market model, one module per agent type."""

from sim.agents.margin_book import MarginBook
from sim.agents.margin_investor import MarginInvestor
from sim.agents.market_maker import MarketMaker
from sim.agents.noise_trader import NoiseTrader
from sim.agents.value_trader import ValueTrader

__all__ = ["MarginBook", "MarginInvestor", "MarketMaker", "NoiseTrader", "ValueTrader"]
