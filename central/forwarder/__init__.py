"""The city-platform forwarder: goods-in, sales and stop-sales in the city's data views,
sent exactly once in effect (docs/city-platform.md).

``outbox`` queues records in the transaction that stores what they describe, ``views``
builds the data views, ``wire`` encodes them as JSON or XML, ``sender`` posts them with
retries and exponential backoff.
"""
