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
RUN python scripts/compile_messages.py \
 && DJANGO_SECRET_KEY=build-only-$(python -c "import secrets;print(secrets.token_hex(32))") DJANGO_ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
RUN useradd --system --home /app opsflow && mkdir -p /app/var && chown -R opsflow /app/var
USER opsflow
EXPOSE 8000
CMD ["gunicorn", "opsflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--max-requests", "2000", "--max-requests-jitter", "200"]
