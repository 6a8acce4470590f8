// IGImaging module
