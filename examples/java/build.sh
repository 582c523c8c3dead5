#!/bin/sh
# The example's build without a build tool (no Maven repository is reachable where it builds):
# compile the library, the app and the tests, run the tests, then package one runnable jar that
# contains the app and its runtime library (like a shaded jar). httpcheck is test-only.
set -eu
rm -rf build && mkdir -p build
javac -d build/greet $(find libs/greet/src/main/java -name '*.java')
javac -d build/httpcheck $(find libs/httpcheck/src/main/java -name '*.java')
javac -d build/classes -cp build/greet $(find src/main/java -name '*.java')
javac -d build/test -cp build/classes:build/greet:build/httpcheck $(find src/test/java -name '*.java')
java -cp build/test:build/classes:build/greet:build/httpcheck example.AppTest
mkdir -p build/jar && cp -R build/classes/. build/greet/. build/jar/
jar --create --file build/app.jar --main-class example.App -C build/jar .
echo "built build/app.jar"
