"""Payment providers: one interface, a registry, Stripe and offline (bank transfer or cash).

See :mod:`marketplace.payments.base`. Providers never change pledges themselves: they call
``marketplace.payments.services.payment_succeeded`` (and friends), which lock and post.
"""
