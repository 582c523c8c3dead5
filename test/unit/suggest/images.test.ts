import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseImageRef, slimFor } from '../../../src/core/suggest';

test('slim mapping for official images', () => {
  const cases: [string, string | null][] = [
    ['python:3.12', 'python:3.12-slim'],
    ['python:3.12-bookworm', 'python:3.12-slim-bookworm'],
    ['python', 'python:slim'],
    ['docker.io/library/python:3.11', 'python:3.11-slim'],
    ['python:3.12-slim', null],
    ['python:3.12-alpine', null],
    ['node:20', 'node:20-slim'],
    ['node:20-bookworm', 'node:20-bookworm-slim'],
    ['ruby:3.3', 'ruby:3.3-slim'],
    ['debian:bookworm', 'debian:bookworm-slim'],
    ['debian:bookworm-slim', null],
    ['ubuntu:24.04', null],
    ['golang:1.22', 'gcr.io/distroless/static-debian12:nonroot'],
    ['rust:1.79-bullseye', 'debian:bullseye-slim'],
    ['rust:1-alpine3.20', 'alpine:3.20'],
    ['eclipse-temurin:21-jdk', 'eclipse-temurin:21-jre'],
    ['eclipse-temurin:17-jdk-jammy', 'eclipse-temurin:17-jre-jammy'],
    ['openjdk:17', 'eclipse-temurin:17-jre'],
    ['maven:3.9-eclipse-temurin-21', 'eclipse-temurin:21-jre'],
    ['gradle:8-jdk17', 'eclipse-temurin:17-jre'],
    ['php:8.3', 'php:8.3-alpine'],
    ['php:8.3-apache', null],
    ['myorg/python:3.12', null],
    ['python@sha256:abcd', null],
  ];
  for (const [from, to] of cases) assert.equal(slimFor(from)?.image ?? null, to, from);
});

test('image references', () => {
  assert.deepEqual(parseImageRef('localhost:5000/a/b:1@sha256:x'), { registry: 'localhost:5000', repo: 'a/b', tag: '1', digest: 'sha256:x' });
  assert.deepEqual(parseImageRef('python'), { registry: null, repo: 'python', tag: null, digest: null });
});
