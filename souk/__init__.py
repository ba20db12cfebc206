"""Souk: a marketplace order system built around cancellations and refunds."""
