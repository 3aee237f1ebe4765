"""A virtual barcode scanner: serial (a pty sending code + postamble) or USB HID (typing)."""
