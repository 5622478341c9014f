"""Experimental APIs, as ``jax.experimental``: ``functrans.experimental.ode.odeint``."""
