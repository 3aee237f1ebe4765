"""Trace tickets on ESC/POS printers.

``ticket`` lays a sale out (TicketSettings, layout_ticket), ``escpos_render`` turns that into
printer bytes (render_ticket), ``connections`` carries them (serial, USB, TCP 9100, file),
``status`` asks the printer how it is (DLE EOT), and ``queue.PrintWorker`` prints the store's
pending jobs in its own thread. ``commands`` names every ESC/POS byte sequence we send.
"""
