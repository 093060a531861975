// Every optimizer and learning-rate schedule.
#pragma once
#include "tinycnn/optim/adam.hpp"
#include "tinycnn/optim/momentum.hpp"
#include "tinycnn/optim/optimizer.hpp"
#include "tinycnn/optim/rmsprop.hpp"
#include "tinycnn/optim/schedule.hpp"
#include "tinycnn/optim/sgd.hpp"
