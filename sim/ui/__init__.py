"""ipywidgets apps (the trainee player, the facilitator dashboard, the protocol explorer)."""
