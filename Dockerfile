# The dashboard as a container image: CPU-only torch, the pinned requirements, a non-root
# user, Streamlit on 0.0.0.0:8501 with a health check. Build: docker build -t rbm-gan .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Requirements first: the layer with torch (about 200 MB, CPU wheel) is rebuilt only when they change.
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 1000 dashboard
COPY --chown=dashboard:dashboard . .
USER dashboard
# Datasets downloaded on demand are cached in the user's home.
ENV RBM_GAN_CACHE=/home/dashboard/.cache/rbm-gan-dashboard

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "dashboard.py", "--server.address=0.0.0.0", "--server.port=8501"]
