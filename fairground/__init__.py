"""The platform every Fairground app stands on."""
