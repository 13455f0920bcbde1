"""Vehicle agent: what runs on a scooter, e-bike or car."""
