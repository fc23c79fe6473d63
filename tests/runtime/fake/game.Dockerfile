ARG BASE_IMAGE=pytest-coworld/python-base:bookworm
FROM ${BASE_IMAGE}
COPY fakews.py fake_game.py fake_player.py /app/
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
ENTRYPOINT ["python3", "/app/fake_game.py"]
