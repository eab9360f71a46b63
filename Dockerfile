# The API and the worker share one image; compose picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.9 \
 && useradd --create-home --uid 10001 app

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY cpd ./cpd
COPY emails ./emails
COPY activities ./activities
COPY workflows ./workflows
COPY services ./services
COPY api ./api
COPY run ./run
# PYTHONDONTWRITEBYTECODE stops Python writing .pyc at run time, and the worker's
# sandbox imports the workflow module for every new workflow: compile it all now.
RUN uv sync --frozen --no-dev \
 && /app/.venv/bin/python -m compileall -q cpd emails activities workflows services api run

RUN mkdir -p /evidence && chown app /evidence
USER app
ENV PATH=/app/.venv/bin:$PATH
EXPOSE 8000
CMD ["uvicorn", "api.app:serve_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
