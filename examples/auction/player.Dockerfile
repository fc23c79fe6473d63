ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
ARG PIP_INSTALL_ARGS=
COPY requirements.txt wheelhouse/ /tmp/deps/
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ${PIP_INSTALL_ARGS} -r /tmp/deps/requirements.txt && rm -rf /tmp/deps
COPY _kit/coworld_kit /app/coworld_kit
COPY auction/auction_player /app/auction_player
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1
# Contract generation: current only (the slot's URL is read from COWORLD_PLAYER_WS_URL).
ENV COWORLD_EXAMPLE_GENERATION=current
ENTRYPOINT ["python3", "-m", "auction_player"]
