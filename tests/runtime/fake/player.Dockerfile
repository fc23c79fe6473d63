ARG BASE_IMAGE=pytest-coworld/python-base:bookworm
FROM ${BASE_IMAGE}
COPY fakews.py fake_player.py /app/
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
ARG PLAYER_NAME=a
ENV FAKE_PLAYER_NAME=${PLAYER_NAME}
LABEL coworld-test.player-name=${PLAYER_NAME}
ENTRYPOINT ["python3", "/app/fake_player.py"]
