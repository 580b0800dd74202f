"""Everything napari and Qt lives here; the core never imports this subpackage."""
