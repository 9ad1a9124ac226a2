#!/bin/sh
# Entry commands of the image: web | worker | beat | manage <args>
set -e
case "$1" in
  web)
    python manage.py migrate --no-input
    python manage.py createcachetable  # does nothing unless CACHE_URL=dbcache://…
    python manage.py load_plan
    python manage.py refresh_health
    python manage.py setup_schedules
    exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 \
      --workers "${WEB_CONCURRENCY:-3}" --access-logfile -
    ;;
  worker)
    exec celery -A config.celery_app worker --loglevel=INFO
    ;;
  beat)
    exec celery -A config.celery_app beat --loglevel=INFO \
      --scheduler django_celery_beat.schedulers:DatabaseScheduler
    ;;
  manage)
    shift
    exec python manage.py "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
