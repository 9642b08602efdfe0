"""Leads: captured at stands and after the fair, routed to councils with consent."""
