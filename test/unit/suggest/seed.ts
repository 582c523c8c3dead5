// The seed scenario's single-stage Python Dockerfile (shared/seed-multi-stage-docker-builds.md):
// a compiler toolchain and the app on the full python base.
export const SEED = `FROM python:3.12
WORKDIR /app
RUN apt-get update && apt-get install -y build-essential gcc
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY app.py .
CMD ["python", "app.py"]
`;
