"""connect-hub connector for an e-fulfilment warehouse, and a simulator of that warehouse."""
