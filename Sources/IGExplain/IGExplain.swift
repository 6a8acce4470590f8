// IGExplain module
