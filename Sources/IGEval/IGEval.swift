// IGEval module
