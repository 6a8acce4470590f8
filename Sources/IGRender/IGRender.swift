// IGRender module
