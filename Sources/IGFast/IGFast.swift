// IGFast module
