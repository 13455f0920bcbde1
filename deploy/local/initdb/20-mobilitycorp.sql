-- docker-compose only: run once by the postgis image on a fresh volume
-- (the native deploy/local/infra.sh creates the same databases idempotently itself).
-- One database per service; services share no tables.
CREATE DATABASE fleet;
CREATE DATABASE pricing;
CREATE DATABASE booking;
CREATE DATABASE payment;
CREATE DATABASE notification;
CREATE DATABASE iot;

\connect fleet
CREATE EXTENSION IF NOT EXISTS postgis;
