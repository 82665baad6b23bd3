# Slim image; tzdata comes from PyPI (a pinned dependency), so Asia/Tehran is right here too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

RUN useradd --create-home --uid 10001 botuser \
    && mkdir -p /data && chown botuser:botuser /data

# 1. The pinned dependencies alone (the large layer): rebuilt when pyproject.toml or
#    constraints.txt change, not when the code does.
WORKDIR /src
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt

# 2. The bot itself, into site-packages (compiled there); its sources, build/ and *.egg-info
#    go with /src, so nothing in the working directory shadows the installed package.
COPY README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-deps . && rm -rf /src

# an empty working directory: `python -m bot` finds only the installed package
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
# webhook mode only (WEBHOOK_URL set): the default PORT; publish it (compose.yaml: ports)
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.health"]
# exec form, so SIGTERM reaches Python and the bot closes the database cleanly
CMD ["python", "-m", "bot"]
