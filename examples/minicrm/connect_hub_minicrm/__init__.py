"""MiniCRM for connect-hub: contacts both ways, orders as activities (the tutorial's example)."""
