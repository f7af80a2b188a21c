"""Mesa agents of the market model, one module per agent type."""

from sim.model.agents.margin_book import MarginBook
from sim.model.agents.margin_investor import MarginInvestor
from sim.model.agents.market_maker import MarketMaker
from sim.model.agents.noise_trader import NoiseTrader
from sim.model.agents.value_trader import ValueTrader

__all__ = ["MarginBook", "MarginInvestor", "MarketMaker", "NoiseTrader", "ValueTrader"]
