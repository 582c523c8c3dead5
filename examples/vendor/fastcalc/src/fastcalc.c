/* fastcalc: summary statistics over a sequence of numbers, in C.
 *
 * The example app needs it at run time, and pip has to COMPILE it from this source at build
 * time: that is what puts gcc and the Python headers into the builder stage and, in a
 * single-stage image, into the image that ships. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* Reads every item of an iterable as a double; returns a new buffer or NULL with an error set. */
static double *read_values(PyObject *iterable, Py_ssize_t *count)
{
    PyObject *seq = PySequence_Fast(iterable, "expected a sequence of numbers");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "at least one value is required");
        return NULL;
    }
    double *values = PyMem_New(double, n);
    if (values == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        values[i] = PyFloat_AsDouble(items[i]);
        if (values[i] == -1.0 && PyErr_Occurred()) {
            PyMem_Free(values);
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    *count = n;
    return values;
}

static double mean_of(const double *values, Py_ssize_t n)
{
    /* Kahan summation keeps long inputs accurate. */
    double sum = 0.0, carry = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double y = values[i] - carry;
        double t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
    return sum / (double)n;
}

static PyObject *fastcalc_mean(PyObject *self, PyObject *arg)
{
    Py_ssize_t n;
    double *values = read_values(arg, &n);
    if (values == NULL)
        return NULL;
    double m = mean_of(values, n);
    PyMem_Free(values);
    return PyFloat_FromDouble(m);
}

static PyObject *fastcalc_pstdev(PyObject *self, PyObject *arg)
{
    Py_ssize_t n;
    double *values = read_values(arg, &n);
    if (values == NULL)
        return NULL;
    double m = mean_of(values, n), acc = 0.0;
    for (Py_ssize_t i = 0; i < n; i++)
        acc += (values[i] - m) * (values[i] - m);
    PyMem_Free(values);
    return PyFloat_FromDouble(sqrt(acc / (double)n));
}

static PyMethodDef fastcalc_methods[] = {
    {"mean", fastcalc_mean, METH_O, "mean(values) -> float: arithmetic mean."},
    {"pstdev", fastcalc_pstdev, METH_O, "pstdev(values) -> float: population standard deviation."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fastcalc_module = {
    PyModuleDef_HEAD_INIT, "fastcalc", "Summary statistics in C.", -1, fastcalc_methods,
};

PyMODINIT_FUNC PyInit_fastcalc(void)
{
    return PyModule_Create(&fastcalc_module);
}
