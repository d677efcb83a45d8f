// Typed errors of the platform data model. All are permanent for a job: the input or the
// record's state is wrong, so retrying the same request cannot succeed.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "schema/database_record.h"

namespace daap::schema {

// Base of every schema error; catch this to fail a job at once instead of retrying it.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // True: the same request fails the same way again, so a job must not retry it.
  virtual bool permanent() const { return true; }
};

// No record matched a lookup; lookup() says what was looked up ("id '…'", "active name '…'").
class NotFound : public Error {
 public:
  explicit NotFound(std::string lookup)
      : Error("no database with " + lookup), lookup_(std::move(lookup)) {}
  const std::string& lookup() const { return lookup_; }

 private:
  std::string lookup_;
};

// An active (not deleted) database already has this name.
class NameTaken : public Error {
 public:
  explicit NameTaken(std::string name)
      : Error("database name '" + name + "' is already taken by an active database"),
        name_(std::move(name)) {}
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// An input value is wrong; field() names it ("name", "limit", "cursor"), problem() says why.
class InvalidInput : public Error {
 public:
  InvalidInput(std::string field, std::string problem)
      : Error("invalid " + field + ": " + problem),
        field_(std::move(field)),
        problem_(std::move(problem)) {}
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string field_;
  std::string problem_;
};

// The status lifecycle does not allow going from from() to to().
class InvalidTransition : public Error {
 public:
  InvalidTransition(DatabaseStatus from, DatabaseStatus to)
      : Error("cannot change database status from '" + std::string(to_string(from)) + "' to '" +
              std::string(to_string(to)) + "'"),
        from_(from),
        to_(to) {}
  DatabaseStatus from() const { return from_; }
  DatabaseStatus to() const { return to_; }

 private:
  DatabaseStatus from_;
  DatabaseStatus to_;
};

// The record's status does not allow the operation (e.g. editing a database being deleted).
class WrongState : public Error {
 public:
  WrongState(const std::string& id, DatabaseStatus status, const std::string& operation)
      : Error("cannot " + operation + " database " + id + ": it is " +
              std::string(to_string(status))),
        status_(status) {}
  DatabaseStatus status() const { return status_; }

 private:
  DatabaseStatus status_;
};

}  // namespace daap::schema
