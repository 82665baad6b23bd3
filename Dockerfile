# Slim image; tzdata comes from PyPI (a pinned dependency), so Asia/Tehran is right here too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install -c constraints.txt . \
    && useradd --create-home --uid 10001 botuser \
    && mkdir -p /data && chown botuser:botuser /data

USER botuser
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.health"]
# exec form, so SIGTERM reaches Python and the bot closes the database cleanly
CMD ["python", "-m", "bot"]
