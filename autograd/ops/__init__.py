"""The primitive ops, one `Function` each, and the ops composed from them."""
