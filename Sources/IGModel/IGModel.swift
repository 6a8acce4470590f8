// IGModel module
