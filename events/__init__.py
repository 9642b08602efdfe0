"""Events, entry slots, public event pages and the ICS feed."""
