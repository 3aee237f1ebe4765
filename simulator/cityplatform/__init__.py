"""A city trace platform (城市追溯管理平台) that takes the market's data views, checks them
strictly, stores and dedups them, and can be told to be down (docs/city-platform.md)."""
