ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
ARG PIP_INSTALL_ARGS=
COPY requirements.txt wheelhouse/ /tmp/deps/
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir ${PIP_INSTALL_ARGS} -r /tmp/deps/requirements.txt && rm -rf /tmp/deps
COPY _kit/coworld_kit /app/coworld_kit
COPY paint/paint_game /app/paint_game
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1
# Contract generation: classic only (pages /clients/*, replay mode COGAME_REPLAY_SERVER=1, 0.0.0.0:8080).
ENV COWORLD_EXAMPLE_GENERATION=classic
EXPOSE 8080
ENTRYPOINT ["python3", "-m", "paint_game"]
