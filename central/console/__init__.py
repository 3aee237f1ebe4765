"""The market office console (/console): login with roles, registration, goods-in, 问题可查, reports."""
