"""Helpers of the volunteers tests: verified hours set up through the services."""

from datetime import timedelta

from volunteers import services


def verified(shift, volunteer, staff, *, minutes: int):
    """*volunteer* signs up, is checked in at the start and out *minutes* later, verified."""
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    services.check_in(actor=staff, signup=signup, now=shift.starts_at)
    services.check_out(actor=staff, signup=signup, now=shift.starts_at + timedelta(minutes=minutes))
    return services.hours_verify(actor=staff, signup=signup)
