FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic needs settings that import; the build-time key is never used at run time.
RUN DEBUG=false SECRET_KEY=build-only-0123456789abcdefghijklmnopqrstuvwxyzABCDEF \
    python manage.py collectstatic --no-input \
 && useradd --system --uid 1000 attune \
 && chown -R attune /app
USER attune

EXPOSE 8000
# gthread workers: the timeline polls with many short requests (see DESIGN.md).
CMD ["gunicorn", "attune.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--workers", "2", "--worker-class", "gthread", "--threads", "4", \
     "--access-logfile", "-"]
