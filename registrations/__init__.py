"""Registration, waiting list, tickets, calendar invites and check-in."""
