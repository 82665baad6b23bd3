"""Campaign guardrails (#22): pure rules, no Telegram and no store of their own.

- :mod:`bot.quiet_hours`: a send or a plan's batches inside the night hours (``QUIET_HOURS``);
  plain time arithmetic that the domain also uses (a draft's "skip the night"), so it sits
  below the domain, outside this package.
- :mod:`.repeats`: the same text (or the same phonebook) sent lately (``REPEAT_WINDOW_HOURS``).
- :mod:`.budget`: the month's SMS spend against ``MONTHLY_BUDGET_RIALS`` (Jalali months).

Each rule returns plain facts; :mod:`bot.guardrails.lines` words them for the cards.
"""
