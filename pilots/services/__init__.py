"""Write side of pilots (``pilot``) and rollout (``rollout``): every change goes through here."""
