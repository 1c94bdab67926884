"""The 3D viewer: the line drawn from its event log (PyVista), replay, video, glTF/HTML export."""
