# Production image: gunicorn serves the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=opsflow.settings.production
WORKDIR /app
COPY pyproject.toml README.md ./
COPY opsflow opsflow
COPY processes processes
COPY pilots pilots
COPY metrics metrics
RUN pip install --no-cache-dir .
COPY . .
# translations and static files (hashed names + manifest); the same script starts every process below
RUN sh scripts/docker-entrypoint.sh build
RUN useradd --system --home /app opsflow && mkdir -p /app/var && chown -R opsflow /app/var
USER opsflow
EXPOSE 8000
# web: migrate, then gunicorn on 0.0.0.0:8000, one worker per core (scripts/docker-entrypoint.sh);
# docker-compose.yml runs `worker` and `beat` with the same script. CI's production smoke
# (scripts/production_smoke.sh) starts the same commands without Docker.
CMD ["sh", "scripts/docker-entrypoint.sh", "web"]
