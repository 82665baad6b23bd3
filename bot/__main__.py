# No garbage collection while start-up imports and builds: it allocates ~10^5 objects that
# live as long as the process, and collecting them over and over costs ~10 % of start-up
# CPU. bot.startup.serve freezes them and turns collection back on once polling runs.
import gc

gc.disable()

from bot.main import main  # noqa: E402  (after gc.disable, on purpose)

main()
