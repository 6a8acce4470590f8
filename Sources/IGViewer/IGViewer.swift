// IGViewer module
